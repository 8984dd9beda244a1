package fakecall

import (
	"errors"
	"testing"
)

func TestRecorder(t *testing.T) {
	var r Recorder
	boom := errors.New("boom")
	r.FailNext("Get", boom)
	r.FailNext("Get", boom)
	for i, want := range []error{boom, boom, nil} {
		if got := r.Begin("Get"); !errors.Is(got, want) || (want == nil && got != nil) {
			t.Fatalf("call %d: got %v, want %v", i, got, want)
		}
	}
	r.Begin("Put")
	if r.Calls("Get") != 3 || r.Calls("Put") != 1 || r.TotalCalls() != 4 || len(r.CallCounts()) != 2 {
		t.Fatalf("counts %v", r.CallCounts())
	}
	r.ResetCalls()
	if r.TotalCalls() != 0 {
		t.Fatal("reset left counts")
	}
	r.LoseNext("Get", boom)
	if r.Lost("Put") != nil || !errors.Is(r.Lost("Get"), boom) || r.Lost("Get") != nil {
		t.Fatal("LoseNext: wrong errors handed out")
	}
}
