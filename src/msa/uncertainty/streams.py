"""Random streams: one independent, reproducible stream per named input, drawable in chunks.

Every draw in :mod:`msa.uncertainty` starts from uniform numbers, one fixed count per sample
(:func:`sample_uniforms`), so sample ``i`` always uses the same numbers of its stream: drawing
samples ``[0, k)`` and then ``[k, n)`` (``start=k``) gives exactly the numbers of one draw of
``n``. :func:`spawn_streams` gives each named input its own stream derived from the seed and the
name alone, so the numbers of an input do not depend on which other inputs exist or on the order
they are visited in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np

from msa.errors import ConfigError

__all__ = ["sample_uniforms", "spawn_streams", "stream_key"]

#: The smallest uniform drawn: a draw of exactly 0 is moved here so every quantile is finite.
_TINY = 2.0**-54
#: Block size (numbers) when a stream without ``advance`` skips ahead by drawing.
_SKIP_BLOCK = 1 << 20


def stream_key(name: str) -> int:
    """Return the 128-bit integer that identifies the stream of a named input.

    The first 16 bytes of the SHA-256 of the UTF-8 name, read little-endian: stable across runs,
    machines and Python versions (unlike ``hash``), and wide enough that two names never share
    a stream in practice.

    Examples
    --------
    >>> stream_key("collection_rate") == stream_key("collection_rate")
    True
    >>> stream_key("a") != stream_key("b")
    True
    """
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:16], "little")


def spawn_streams(
    rng: np.random.Generator | np.random.SeedSequence | int | None, names: Iterable[str]
) -> dict[str, np.random.Generator]:
    """Return one independent random generator per name, derived from the seed and the name.

    Parameters
    ----------
    rng : numpy.random.Generator, numpy.random.SeedSequence, int or None
        The run's seed. An int (>= 0) or a SeedSequence is used as given; a Generator contributes
        its own seed sequence (``rng.bit_generator.seed_seq``) and is not advanced, so
        ``spawn_streams(numpy.random.default_rng(7), names)`` equals ``spawn_streams(7, names)``;
        None takes fresh entropy from the operating system (not reproducible: to record a run,
        draw a seed first, ``numpy.random.SeedSequence().entropy``, and pass it).
    names : iterable of str
        The inputs that need a stream (a parameter, a table, a split).

    Returns
    -------
    dict of str to numpy.random.Generator
        ``PCG64`` generators seeded with ``SeedSequence(entropy, spawn_key=(*parent_key,
        stream_key(name)))``: a name's stream depends on the seed and the name only.

    Notes
    -----
    To draw a later chunk of samples, spawn the streams again and pass ``start`` to the draw:
    each call to :func:`spawn_streams` returns fresh generators at the start of their streams.

    Examples
    --------
    >>> a = spawn_streams(7, ["lifetime", "collection_rate"])["collection_rate"].random(2)
    >>> b = spawn_streams(7, ["collection_rate"])["collection_rate"].random(2)
    >>> bool((a == b).all())
    True
    """
    root = _seed_sequence(rng)
    streams: dict[str, np.random.Generator] = {}
    for name in names:
        if not isinstance(name, str):
            raise ConfigError(f"spawn_streams: a stream name must be a string (got {name!r})")
        child = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, stream_key(name)))
        streams[name] = np.random.Generator(np.random.PCG64(child))
    return streams


def _seed_sequence(
    rng: np.random.Generator | np.random.SeedSequence | int | None,
) -> np.random.SeedSequence:
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, np.random.Generator):
        seq = rng.bit_generator.seed_seq
        if isinstance(seq, np.random.SeedSequence):
            return seq
        return np.random.SeedSequence(int(rng.integers(2**63)))
    if rng is not None and (isinstance(rng, bool) or not isinstance(rng, int) or rng < 0):
        raise ConfigError(
            f"spawn_streams: the seed must be an int >= 0, a SeedSequence, a Generator or None "
            f"(got {rng!r})"
        )
    return np.random.SeedSequence(rng)


def sample_uniforms(
    rng: np.random.Generator | int | None,
    n: int,
    *,
    start: int = 0,
    per_sample: int | None = None,
    where: str = "draw",
) -> np.ndarray:
    """Return the uniform numbers of samples ``start`` to ``start + n`` of a stream.

    Sample ``i`` uses numbers ``i * per_sample`` to ``(i + 1) * per_sample`` of the stream, so a
    draw split into chunks gives the numbers of one draw.

    Parameters
    ----------
    rng : numpy.random.Generator, int or None
        The stream, turned into a generator with ``numpy.random.default_rng(rng)``. A Generator
        passed in is advanced: past ``start * per_sample`` numbers, then past the ones returned.
        Pass an int seed, or a fresh stream of :func:`spawn_streams`, to draw a chunk.
    n : int
        Number of samples (>= 0).
    start : int, default 0
        Index of the first sample: the stream skips ``start * per_sample`` numbers first (by
        ``advance`` for PCG64 streams, else by drawing them).
    per_sample : int, optional
        Numbers per sample; None returns shape ``(n,)``, an int shape ``(n, per_sample)``.
    where : str, default "draw"
        Names the caller in errors.

    Returns
    -------
    numpy.ndarray
        Uniform numbers in (0, 1): numpy's ``random()`` on [0, 1), with a draw of exactly 0
        (probability 2**-53) moved to 2**-54, so every quantile function stays finite.

    Examples
    --------
    >>> import numpy as np
    >>> whole = sample_uniforms(3, 5)
    >>> parts = np.concatenate([sample_uniforms(3, 2), sample_uniforms(3, 3, start=2)])
    >>> bool((whole == parts).all())
    True
    """
    n = _count(n, "n", where)
    start = _count(start, "start", where)
    width = 1 if per_sample is None else _count(per_sample, "per_sample", where)
    gen = np.random.default_rng(rng)
    _skip(gen, start * width)
    u = gen.random(n * width)
    u[u == 0.0] = _TINY
    return u if per_sample is None else u.reshape(n, width)


def _count(value: object, key: str, where: str) -> int:
    """Return ``value`` as an int >= 0; a bool, a float or a negative number is an error."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ConfigError(f"{where} {key}: must be a whole number (got {value!r})")
    number = int(value)
    if number < 0:
        raise ConfigError(f"{where} {key}: must be >= 0 (got {number})")
    return number


def _skip(gen: np.random.Generator, count: int) -> None:
    """Move ``gen`` past ``count`` numbers of ``gen.random``, as if they had been drawn."""
    if count == 0:
        return
    bits = gen.bit_generator
    if isinstance(bits, np.random.PCG64 | np.random.PCG64DXSM):
        bits.advance(count)  # one 64-bit step per double: exact, and O(log count)
        return
    while count:
        block = min(count, _SKIP_BLOCK)
        gen.random(block)
        count -= block
