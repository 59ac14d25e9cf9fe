"""Prints one fenced code block of README.md: python3 readme_block.py HEADING LANGUAGE (the first block of that
language after the heading line, before the next heading). prepare.sh and run.sh use it to run README's CUDA
example on the GPU machine exactly as written."""
import pathlib
import sys

heading, language = sys.argv[1], sys.argv[2]
lines = (pathlib.Path(__file__).resolve().parents[2] / "README.md").read_text().split("\n")
start = lines.index(heading) + 1
inside, block = None, []
for line in lines[start:]:
    if inside is None and line.startswith("#"):
        break
    if line.startswith("```"):
        if inside is None:
            inside = line[3:]
            block = []
        elif inside == language:
            print("\n".join(block))
            sys.exit(0)
        else:
            inside = None
    elif inside is not None:
        block.append(line)
sys.exit(f"no ```{language} block under {heading!r}")
