#!/usr/bin/env python3
"""Prints the crashed thread's top frames (and the other threads' top frames) from .NET crash reports.

usage: crash_report.py REPORT.crashreport.json... [--frames N]
The reports are what DOTNET_EnableCrashReport=1 writes beside a dump: every thread's native and managed frames.
"""
import json
import sys


def frame_text(frame):
    name = frame.get("method_name") or frame.get("unmanaged_name") or "?"
    module = (frame.get("filename") or "").rsplit("/", 1)[-1]
    return f"{module}!{name}" if module else name


def is_true(value):
    return value is True or str(value).lower() == "true"


def main(argv):
    frames = 12
    if "--frames" in argv:
        i = argv.index("--frames")
        frames = int(argv[i + 1])
        del argv[i:i + 2]
    for path in argv:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                report = json.load(f)
        except (OSError, ValueError) as e:
            print(f"  {path}: unreadable ({e})")
            continue
        payload = report.get("payload", report)
        params = report.get("parameters", {})
        print(f"  {path}: signal {params.get('signal', '?')} {params.get('ExceptionType', '')}".rstrip())
        threads = payload.get("threads", [])
        ordered = sorted(threads, key=lambda t: not is_true(t.get("crashed")))
        for thread in ordered:
            stack = thread.get("stack_frames", [])
            if not stack:
                continue
            label = "crashed thread" if is_true(thread.get("crashed")) else "thread"
            top = [frame_text(fr) for fr in stack[:frames]]
            interesting = any("torch" in t.lower() or "THS" in t for t in top)
            if label == "crashed thread" or interesting:
                print(f"    {label} {thread.get('native_thread_id', '?')}:")
                for t in top:
                    print(f"      {t}")


if __name__ == "__main__":
    main(sys.argv[1:])
