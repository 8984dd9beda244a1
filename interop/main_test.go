package interop

import (
	"os"
	"testing"

	"github.com/kumo-go/kumo/internal/moto"
)

// TestMain stops the moto_server that tests needing one start.
func TestMain(m *testing.M) { os.Exit(moto.Run(m)) }
