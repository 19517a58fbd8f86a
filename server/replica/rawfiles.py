"""Raw files for the writable replica: what "locate data sources" and "download raw files" serve.

    write_raw_files(directory)        # deterministic files, the same bytes at every start
    register_raw_files(url, api_key)  # tiled's own `register` (as the tutorial's "Register data")

Three kinds, so the client meets each shape of data source tiled has:

* `scan.h5`: HDF5 with groups, datasets and attributes; tiled registers the file as one
  *container* node whose children (groups, datasets) come from the file, one asset;
* `image_stack000.tiff` .. `image_stack004.tiff`: a TIFF sequence, which tiled's walker
  consolidates into one array node of shape (5, 16, 16) whose data source has five assets
  (parameter `data_uris`, `num` 0..4);
* `table.csv`: one table node, one asset.

Registered under /raw, the keys are the file names without their extensions: /raw/scan,
/raw/image_stack, /raw/table.
"""

from __future__ import annotations

from pathlib import Path

STACK_FRAMES = 5
FRAME_SHAPE = (16, 16)


def write_raw_files(directory: Path) -> list[Path]:
    """Write the raw files into `directory` (created); return their paths."""
    import h5py
    import numpy
    import pandas
    import tifffile

    directory.mkdir(parents=True, exist_ok=True)
    paths = []

    h5 = directory / "scan.h5"
    with h5py.File(h5, "w") as f:
        f.attrs["title"] = "a small HDF5 scan"
        f.attrs["scan_id"] = 42
        entry = f.create_group("entry")
        entry.attrs["NX_class"] = "NXentry"
        data = entry.create_group("data")
        data.create_dataset("x", data=numpy.linspace(0.0, 1.0, 11))
        data.create_dataset("counts", data=(numpy.arange(11, dtype="<i4") - 5) ** 2)
        data.create_dataset("image", data=numpy.arange(6 * 8, dtype=">u2").reshape(6, 8))
    paths.append(h5)

    for i in range(STACK_FRAMES):
        frame = (numpy.arange(FRAME_SHAPE[0] * FRAME_SHAPE[1], dtype="uint16").reshape(FRAME_SHAPE) + 100 * i)
        path = directory / f"image_stack{i:03}.tiff"
        tifffile.imwrite(path, frame)
        paths.append(path)

    csv = directory / "table.csv"
    pandas.DataFrame({"a": [1, 2, 3], "b": [4.5, 5.5, 6.5], "c": ["x", "y", "z"]}).to_csv(csv, index=False)
    paths.append(csv)
    return paths


def register_raw_files(url: str, api_key: str, directory: Path, node: str = "raw") -> None:
    """Register every file in `directory` under /<node> of the server at `url`, with tiled's
    `register` (the Python client's POST /register requests)."""
    import asyncio

    from tiled.client import from_uri
    from tiled.client.register import register

    client = from_uri(url, api_key=api_key)
    try:
        asyncio.run(register(client, directory, prefix=f"/{node}"))
    finally:
        client.context.close()
