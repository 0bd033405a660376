package server

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func drainedNow(tk *tasks) bool {
	select {
	case <-tk.drained:
		return true
	default:
		return false
	}
}

func TestTasksDrainOnlyAfterStop(t *testing.T) {
	tk := newTasks()
	ran := make(chan struct{})
	require.True(t, tk.start(func() { close(ran) }))
	<-ran
	time.Sleep(10 * time.Millisecond) // its done has run: the count is zero
	assert.False(t, drainedNow(tk), "zero running before stop is not the end")
	require.True(t, tk.start(func() {}), "work starts again from zero before stop")

	tk.stop()
	select {
	case <-tk.drained:
	case <-time.After(5 * time.Second):
		t.Fatal("not drained after stop with nothing running")
	}
	assert.False(t, tk.start(func() { t.Error("ran after the drain") }), "refused once drained")
	tk.stop() // again: harmless
}

func TestTasksWaitForWorkStartedWhileStopping(t *testing.T) {
	tk := newTasks()
	release := make(chan struct{})
	childRan := make(chan struct{})
	require.True(t, tk.start(func() {
		<-release
		// A goroutine still running may start a goodbye after stop.
		assert.True(t, tk.start(func() {
			<-release
			close(childRan)
		}))
	}))
	tk.stop()
	assert.False(t, drainedNow(tk), "one still runs")
	// From outside too, while anything runs: it is waited for.
	outside := make(chan struct{})
	require.True(t, tk.start(func() { <-outside }))
	close(release)
	<-childRan
	time.Sleep(10 * time.Millisecond)
	assert.False(t, drainedNow(tk), "the outside one still runs")
	close(outside)
	select {
	case <-tk.drained:
	case <-time.After(5 * time.Second):
		t.Fatal("not drained after the last one ended")
	}
}
