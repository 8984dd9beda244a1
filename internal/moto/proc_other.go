//go:build !unix

package moto

import "os/exec"

func setProcAttr(*exec.Cmd) {}

func stop(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}
