#!/usr/bin/env python3
"""Count the errors compute-sanitizer reported in the logs of one test and tool, split into
errors in cpbench's code and errors in the libraries it calls (cuDNN, NCCL, CUTLASS).

    sanitizer_errors.py LOG [LOG ...]

Prints one line: "OURS THIRD_PARTY TOTAL". TOTAL is the sum of the tools' own summary lines
("ERROR SUMMARY: N errors" of memcheck, "RACECHECK SUMMARY: ... (E errors, W warnings)" of
racecheck); THIRD_PARTY counts the reported errors whose place is in a library: a device
error (racecheck's "Race reported ... at KERNEL", memcheck's "Invalid ... at KERNEL") whose
kernel's qualified name starts with cudnn, nccl or cutlass, or a CUDA API error ("Program
hit ...") whose first host frame outside the CUDA runtime and driver lies in libcudnn or
libnccl. OURS is TOTAL minus THIRD_PARTY, so an error this script cannot place counts as
ours. Exit 0; 2 on bad usage or when a log cannot be read.

Why the split: cuDNN's Hopper attention kernels synchronise through asynchronous barriers
and wgmma, which racecheck reports as shared-memory hazards, and NCCL probes its kernels at
init with calls that fail on purpose; neither is code this project can fix or verify.
"""
import re
import sys

THIRD_PARTY_KERNEL = re.compile(r"^(cudnn|nccl|cutlass|sm\d+_xmma)", re.IGNORECASE)
THIRD_PARTY_LIBRARY = re.compile(r"lib(cudnn|nccl)[^ ]*\.so")
CUDA_LIBRARY = re.compile(r"libcuda(rt)?\.so")  # the runtime and driver: the caller is further down
ERROR_SUMMARY = re.compile(r"ERROR SUMMARY: (\d+) error")
RACECHECK_SUMMARY = re.compile(r"RACECHECK SUMMARY: \d+ hazards? displayed \((\d+) errors?")
RACE = re.compile(r"Error: Race reported between \w+ access at (.+)")
DEVICE_ERROR = re.compile(r"^=+ (Invalid|Misaligned|Out-of-range|Uninitialized)\b")
DEVICE_PLACE = re.compile(r"^=+\s+at (?:0x[0-9a-f]+ in )?(.+)")
API_ERROR = re.compile(r"^=+ Program hit ")
HOST_FRAME = re.compile(r"Host Frame:")


def kernel_name(place):
    """The kernel's qualified name in a place as the tools print it: "NAME+0xOFF",
    "void ns::NAME<T>(args)+0xOFF in file.cu:12" or "0x70 in NAME"."""
    name = re.sub(r"^0x[0-9a-fA-F]+ in ", "", place.strip()).replace("(anonymous namespace)::", "")
    if name.startswith("void "):
        name = name[5:]
    for end in ("(", "+0x", " in ", "<"):
        name = name.split(end)[0]
    return name.strip()


def count(lines):
    total = third_party = 0
    pending = None  # "device" or "api": an error whose place is the next frame line
    for line in lines:
        m = ERROR_SUMMARY.search(line) or RACECHECK_SUMMARY.search(line)
        if m:
            total += int(m.group(1))
            continue
        m = RACE.search(line)
        if m:
            third_party += bool(THIRD_PARTY_KERNEL.match(kernel_name(m.group(1))))
            continue
        if DEVICE_ERROR.match(line):
            pending = "device"
        elif API_ERROR.match(line):
            pending = "api"
        elif pending == "device" and DEVICE_PLACE.match(line):
            third_party += bool(THIRD_PARTY_KERNEL.match(kernel_name(DEVICE_PLACE.match(line).group(1))))
            pending = None
        elif pending == "api" and HOST_FRAME.search(line) and not CUDA_LIBRARY.search(line):
            third_party += bool(THIRD_PARTY_LIBRARY.search(line))
            pending = None
    return total, min(third_party, total)


def main(paths):
    if not paths:
        print("usage: sanitizer_errors.py LOG [LOG ...]", file=sys.stderr)
        return 2
    total = third_party = 0
    for path in paths:
        try:
            with open(path, errors="replace") as f:
                t, p = count(f)
        except OSError as e:
            print(f"sanitizer_errors.py: {path}: {e.strerror}", file=sys.stderr)
            return 2
        total += t
        third_party += p
    print(total - third_party, third_party, total)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
