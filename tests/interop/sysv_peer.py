#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""sysv_peer.py -- a python3 sysv_ipc peer for the interop tests.

The python side knows no names: it is given the System V key_t that xsipc
resolved (0x... hex or decimal), as a script using sysv_ipc would be.

Usage: sysv_peer.py probe
       sysv_peer.py read KEY
       sysv_peer.py lock-read KEY SEMKEY

  probe          exit 0 when sysv_ipc can be imported (77 when not).
  read KEY       attach the segment KEY read-only, print its bytes up to
                 the first NUL, decoded as UTF-8, detach.
  lock-read KEY SEMKEY
                 as read, but under the lock: semaphore 0 of the set
                 SEMKEY, taken and given back with SEM_UNDO as Qt and xsipc
                 do, so a crash cannot leave it taken.

Exit 0 on success, 1 when the object is missing or cannot be used (the
reason on stderr, "error NAME" on stdout), 2 on bad usage, 77 when the
sysv_ipc module is not installed (the test's "skipped").
"""

import sys

try:
    import sysv_ipc
except ImportError:
    sys.stderr.write("sysv_peer: python3 module sysv_ipc not installed\n")
    sys.exit(77)


def parse_key(text):
    """A key as 0x... hex or decimal, the way ipcs and xsipc print them."""
    try:
        return int(text, 0)
    except ValueError:
        raise SystemExit(usage("bad key '%s'" % text))


def usage(why):
    sys.stderr.write("sysv_peer: %s\n" % why)
    sys.stderr.write("Usage: sysv_peer.py probe | read KEY | "
                     "lock-read KEY SEMKEY\n")
    return 2


def fail(what, err):
    print("error %s" % type(err).__name__, flush=True)
    sys.stderr.write("sysv_peer: %s: %s\n" % (what, err))
    return 1


def read_text(key):
    """The segment's bytes up to the first NUL, decoded."""
    # The constructor attaches read-write; attach again read-only, as a
    # reader should (and as Qt's ReadOnly does, with SHM_RDONLY).
    shm = sysv_ipc.SharedMemory(key, flags=0)
    shm.detach()
    shm.attach(None, sysv_ipc.SHM_RDONLY)
    try:
        data = shm.read()
    finally:
        shm.detach()
    return data.split(b"\0", 1)[0].decode("utf-8", "replace")


def cmd_read(key):
    try:
        text = read_text(key)
    except sysv_ipc.Error as err:
        return fail("read 0x%08x" % key, err)
    print(text, flush=True)
    return 0


def cmd_lock_read(key, semkey):
    try:
        sem = sysv_ipc.Semaphore(semkey, flags=0)
        sem.undo = True
        sem.acquire()
    except sysv_ipc.Error as err:
        return fail("lock 0x%08x" % semkey, err)
    try:
        text = read_text(key)
    except sysv_ipc.Error as err:
        return fail("read 0x%08x" % key, err)
    finally:
        sem.release()
    print(text, flush=True)
    return 0


def main(argv):
    if len(argv) == 2 and argv[1] == "probe":
        return 0
    if len(argv) == 3 and argv[1] == "read":
        return cmd_read(parse_key(argv[2]))
    if len(argv) == 4 and argv[1] == "lock-read":
        return cmd_lock_read(parse_key(argv[2]), parse_key(argv[3]))
    return usage("bad arguments")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
