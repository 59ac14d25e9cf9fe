{{banner}}
"""python -m {{package}} [list | build [--cuda] [VARIANT ...]]: lists the variants, or compiles their kernels ahead of
time (CPU; with --cuda also for the current GPU)."""

import argparse
import sys

from . import VARIANTS, build


def main(arguments=None):
    parser = argparse.ArgumentParser(prog="python -m {{package}}", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("list", help="print each variant and what it was generated for")
    builder = commands.add_parser("build", help="compile the kernels now instead of on first use")
    builder.add_argument("--cuda", action="store_true", help="also build the CUDA kernels for the current GPU")
    builder.add_argument("variants", nargs="*", metavar="VARIANT", help="variants to build (default: all)")
    options = parser.parse_args(arguments)
    if options.command == "build":
        unknown = [name for name in options.variants if name not in VARIANTS]
        if unknown:
            parser.error(f"unknown variant(s): {', '.join(unknown)}")
        build(devices=("cpu", "cuda") if options.cuda else ("cpu",), variants=options.variants or None)
        return 0
    for name in sorted(VARIANTS):
        print(f"{name}: {VARIANTS[name].description}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
