"""The replica tiled server: synthetic 2022 Bluesky catalogs served by a real `tiled serve`.

`bin/replica` is the entry point; `python -m replica --help` lists the commands.
"""
