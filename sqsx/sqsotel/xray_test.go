package sqsotel

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParseXRay(t *testing.T) {
	cases := []struct {
		in            string
		ok            bool
		trace, parent string
		sampled       bool
	}{
		{in: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1", ok: true,
			trace: "5759e988bd862e3fe1be46a994272793", parent: "53995c3f42cd8ad8", sampled: true},
		{in: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0;Lineage=a87bd80c:1|68fd508a:5", ok: true,
			trace: "5759e988bd862e3fe1be46a994272793", parent: "53995c3f42cd8ad8"},
		{in: "Parent=53995c3f42cd8ad8; Root=1-5759e988-bd862e3fe1be46a994272793", ok: true,
			trace: "5759e988bd862e3fe1be46a994272793", parent: "53995c3f42cd8ad8"},
		{in: "Root=1-5759e988-bd862e3fe1be46a994272793"},                                                                  // no parent
		{in: "Root=1-5759e988-bd862e3fe1be46a99427279;Parent=53995c3f42cd8ad8"},                                           // short root
		{in: "Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8"},                                          // version
		{in: "Root=1-5759e988xbd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8"},                                          // separator
		{in: "Root=1-5759e988-bd862e3fe1be46a99427279g;Parent=53995c3f42cd8ad8"},                                          // not hex
		{in: "Root=1-00000000-000000000000000000000000;Parent=53995c3f42cd8ad8"},                                          // zero trace ID
		{in: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=0000000000000000"},                                          // zero span ID
		{in: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Root=1-5759e988-bd862e3fe1be46a994272794"}, // twice
		{in: ""},
	}
	for _, c := range cases {
		sc, ok := parseXRay(c.in)
		assert.Equal(t, c.ok, ok, c.in)
		if c.ok {
			assert.Equal(t, c.trace, sc.TraceID().String(), c.in)
			assert.Equal(t, c.parent, sc.SpanID().String(), c.in)
			assert.Equal(t, c.sampled, sc.IsSampled(), c.in)
			assert.True(t, sc.IsRemote())
		}
	}
}

func FuzzParseXRay(f *testing.F) {
	f.Add("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
	f.Add("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0;Lineage=a87bd80c:1|68fd508a:5")
	f.Fuzz(func(t *testing.T, h string) {
		sc, ok := parseXRay(h)
		if ok != sc.IsValid() {
			t.Fatalf("ok %v for a span context valid=%v", ok, sc.IsValid())
		}
	})
}
