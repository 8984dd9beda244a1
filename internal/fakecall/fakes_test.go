package fakecall_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/kumo-go/kumo/cognitoauth/cognitotest"
	"github.com/kumo-go/kumo/iamx/iamtest"
	"github.com/kumo-go/kumo/kms/kmstest"
	"github.com/kumo-go/kumo/sqsx/sqstest"
)

// Every SDK-shaped operation of every exported fake type takes a nil input
// as the SDK does, as an empty one, and answers without panicking the test
// binary; each call is counted once under the operation's own name.
func TestFakesTakeNilInputs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ctxType := reflect.TypeFor[context.Context]()
	for name, fake := range map[string]interface {
		Calls(string) int
		TotalCalls() int
	}{
		"kmstest": kmstest.New(), "kmstest.KeyStoreTable": kmstest.NewKeyStoreTable(),
		"sqstest": sqstest.New(), "sqstest.S3": sqstest.NewS3(),
		"cognitotest": cognitotest.New(), "iamtest": iamtest.New(),
	} {
		v := reflect.ValueOf(fake)
		ops := 0
		for i := range v.NumMethod() {
			m, mt := v.Method(i), v.Type().Method(i)
			ft := m.Type()
			if ft.NumIn() != 3 || ft.In(0) != ctxType || ft.In(1).Kind() != reflect.Pointer || !ft.IsVariadic() || ft.NumOut() != 2 {
				continue
			}
			ops++
			t.Run(name+"."+mt.Name, func(t *testing.T) {
				before := fake.Calls(mt.Name)
				assert.NotPanics(t, func() {
					m.Call([]reflect.Value{reflect.ValueOf(ctx), reflect.Zero(ft.In(1))})
				})
				assert.Equal(t, before+1, fake.Calls(mt.Name), "counted under its own name")
			})
		}
		assert.Equal(t, ops, fake.TotalCalls(), "%s: one call per operation", name)
		assert.Positive(t, ops, name)
	}
}
