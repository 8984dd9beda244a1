package moto

import "syscall"

// setDeathSignal ends moto if the test binary dies without calling Run's
// cleanup (a panic, a timeout, a missing TestMain).
func setDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
