package schema

import (
	"errors"
	"testing"
)

// FuzzVerify: for any bytes Verify never panics, every error wraps
// ErrMalformed, and whatever it accepts can be read through every generated
// accessor of its root table without a panic.
func FuzzVerify(f *testing.F) {
	for _, msg := range sampleMessages() {
		f.Add(msg)
		f.Add(msg[:len(msg)/2])
		mutant := append([]byte(nil), msg...)
		mutant[len(mutant)/2] ^= 0xFF
		f.Add(mutant)
	}
	f.Add([]byte{})
	f.Add([]byte{0x42})
	f.Fuzz(func(t *testing.T, msg []byte) {
		_, err := Verify(msg)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if _, err := walkMessage(msg); err != nil {
			t.Fatalf("Verify accepted %x but: %v", msg, err)
		}
	})
}
