package main

import (
	"os"
	"syscall"
)

// fSetPipeSize is F_SETPIPE_SZ (linux/fcntl.h), which package syscall
// does not name.
const fSetPipeSize = 1031

// growPipe gives a pipe on standard input or output a 1 MiB buffer instead
// of Linux's default 64 KiB: `cat F | envelope encrypt -in - -out -` then
// moves data in a few large reads instead of many small ones, which more
// than doubles what a pipe carries. Anything else, and any error, is left
// alone: the default buffer still works.
func growPipe(f *os.File) {
	if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		return
	}
	syscall.Syscall(syscall.SYS_FCNTL, f.Fd(), fSetPipeSize, 1<<20)
}
