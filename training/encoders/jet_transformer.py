"""JetCLR-style transformer encoder for jets (Dillon et al., arXiv 2108.04253).

Input: ``augment.Events`` of jets, coords (eta, phi) relative to the jet axis, feats
column ``pt_column`` = constituent pT in GeV (other columns ignored). Per jet the
constituent features are

* ``z = pT / sum(pT)``, the pT fraction (linear in pT, finite at pT = 0, independent
  of the jet's pT scale), or with ``log_pt=True`` its logarithm ``log z`` (the hardest
  50 constituents of a 600 GeV jet have z ~ 0.3 down to ~ 1e-3: linear z is ~ 0 for
  most of them, log z spreads them over a few units), and
* ``eta / coord_scale``, ``phi / coord_scale`` (``coord_scale`` in the units of the
  coordinates, rad for centred jets; 1 keeps them as given),

embedded by one linear layer, passed through ``num_layers`` ``nn.TransformerEncoderLayer``
(batch first) and pooled as ``sum_i z_i h_i`` (``pooling="pt"``, pT-fraction-weighted sum)
or ``mean_i h_i`` over the constituents with z > 0 (``pooling="mean"``), then an optional
MLP head. Only the defaults (linear z, pT pooling) have the safety properties below.

pT-aware masking and what is exactly safe:

* Padding slots of ``events.padded()`` are masked out of attention (key padding mask).
* ``mask_zero_pt=True`` (default) also masks zero-pT constituents as keys, so no other
  constituent sees them; their own output gets weight z = 0 in the pooling. Adding a
  zero-pT constituent therefore leaves the output unchanged (exact IR safety up to
  float rounding). With ``mask_zero_pt=False`` only the pooling ignores them.
  This is safety at pT = 0 exactly: a constituent with small pT > 0 still receives
  full attention weight, so the output is not continuous as pT -> 0.
* Collinear splitting (pT -> r pT + (1 - r) pT at the same eta, phi) changes the
  output in the default mode: the embedding of z is linear, but attention, the
  feed-forward layers and the z-weighted pooling of a z-dependent h are not.
* ``irc_safe=True`` makes the encoder exactly IRC safe: the embedding sees (eta, phi)
  only and every attention logit to key j gets ``+ log z_j`` (attention weight
  proportional to z_j exp(q.k), zero for z_j = 0). Two collinear fragments then have
  identical states and enter every attention sum and the pooling with weights adding
  up to the original z, so splitting changes nothing and a soft constituent's effect
  vanishes continuously as its pT -> 0. The bias is a float key padding mask, which
  the fused inference kernel of ``nn.TransformerEncoderLayer`` mishandles, so this mode
  always runs the reference (slower) attention path.

A jet without positive pT (or without constituents) gives the head applied to a zero
vector. Model and events must share device and dtype (``model.to(dtype)``).
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor, nn

from augment._checks import check_column, check_events
from augment._events import Events

__all__ = ["JetTransformer"]


class JetTransformer(nn.Module):
    """``forward(events) -> (B, out_features)``; ``out_features`` = ``head_dims[-1]``
    or ``embed_dim`` without a head. Defaults: 2 layers, width 64, 4 heads, ~67k parameters.

    ``max_constituents`` keeps the first constituents of each jet (the hardest when
    jets are stored sorted by pT); the rest are dropped before z is computed."""

    def __init__(self, embed_dim: int = 64, num_heads: int = 4, num_layers: int = 2, ff_dim: int = 128,
                 dropout: float = 0.0, head_dims: Sequence[int] = (), pt_column: int = 0,
                 max_constituents: int | None = None, mask_zero_pt: bool = True, irc_safe: bool = False,
                 log_pt: bool = False, coord_scale: float = 1.0, pooling: str = "pt") -> None:
        super().__init__()
        if pooling not in ("pt", "mean"):
            raise ValueError(f"pooling: expected 'pt' or 'mean', got {pooling!r}")
        if irc_safe and (log_pt or pooling != "pt"):
            raise ValueError("irc_safe: expected log_pt=False and pooling='pt' (the IRC-safe mode sees z only "
                             "through attention weights and the pT-weighted pooling)")
        if not coord_scale > 0:
            raise ValueError(f"coord_scale: expected a number > 0, got {coord_scale!r}")
        self.log_pt, self.coord_scale, self.pooling = log_pt, float(coord_scale), pooling
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim: expected a multiple of num_heads = {num_heads}, got {embed_dim}")
        if max_constituents is not None and max_constituents < 1:
            raise ValueError(f"max_constituents: expected None or an int >= 1, got {max_constituents}")
        self.pt_column = pt_column
        self.max_constituents = max_constituents
        self.mask_zero_pt = mask_zero_pt
        self.irc_safe = irc_safe
        self.num_heads = num_heads
        self.embed = nn.Linear(2 if irc_safe else 3, embed_dim)
        # IRC-safe mode: torch.relu is ReLU, but not the F.relu the fused inference path looks for,
        # so the reference path runs: the fused one returns NaN for float key masks (torch 2.13).
        layer = nn.TransformerEncoderLayer(embed_dim, num_heads, ff_dim, dropout, batch_first=True,
                                           activation=torch.relu if irc_safe else "relu")
        self.encoder = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        dims = [embed_dim, *head_dims]
        head: list[nn.Module] = []
        for i, (d_in, d_out) in enumerate(zip(dims[:-1], dims[1:])):
            head += [nn.ReLU()] if i else []
            head.append(nn.Linear(d_in, d_out))
        self.head = nn.Sequential(*head)
        self.out_features = dims[-1]

    def forward(self, events: Events) -> Tensor:
        check_events(events)
        if events.coords.shape[1] != 2 or not events.coords.is_floating_point():
            raise ValueError(f"events.coords: expected float (eta, phi) of shape (N, 2), got "
                             f"{events.coords.dtype} {tuple(events.coords.shape)}")
        check_column("pt_column", self.pt_column, events)
        if (events.feats[:, self.pt_column] < 0).any():
            raise ValueError("events.feats: expected pT >= 0 in column pt_column")
        coords, feats, mask = events.padded(self.max_constituents)
        if mask.shape[1] == 0:  # no constituent in the whole batch
            return self.head(coords.new_zeros(events.num_events, self.embed.out_features))
        pt = feats[..., self.pt_column] * mask
        total = pt.sum(1, keepdim=True)
        z = torch.where(total > 0, pt / torch.where(total > 0, total, 1), 0)  # (B, n) pT fraction
        coords = coords / self.coord_scale
        z_in = torch.log(torch.where(z > 0, z, 1)) if self.log_pt else z  # log z = 0 where z = 0 (masked)
        x = coords if self.irc_safe else torch.cat([z_in[..., None], coords], -1)
        h = self.encoder(self.embed(x), src_key_padding_mask=self._key_mask(z, mask))
        if self.pooling == "pt":
            return self.head((z[..., None] * h).sum(1))
        weight = (z > 0).to(h.dtype)
        return self.head((weight[..., None] * h).sum(1) / weight.sum(1, keepdim=True).clamp_min(1))

    def _key_mask(self, z: Tensor, mask: Tensor) -> Tensor:
        """Key padding mask: boolean (True = ignored), or in the IRC-safe mode float, the
        attention logit bias log z_j (-inf for z_j = 0)."""
        ignore = ~mask | (z == 0) if self.mask_zero_pt or self.irc_safe else ~mask
        # A jet whose keys are all ignored would give NaN attention: let it attend to all
        # slots instead; its pooling weights are all zero, so its output is the head of 0.
        ignore = ignore & ~ignore.all(1, keepdim=True)
        if not self.irc_safe:
            return ignore
        return torch.where(ignore, float("-inf"), torch.log(torch.where(z > 0, z, 1)))
