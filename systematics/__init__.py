"""Detector physics: parameters and ranges, response kernels, throws, toy particle gun."""
