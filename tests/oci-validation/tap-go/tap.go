// Package tap writes Test Anything Protocol (version 13) output.
//
// berth's stand-in for github.com/mndrix/tap-go, which Debian does not
// package: the runtime-tools validation programs import that path, so
// tests/oci-validation/run.sh places this file there in its GOPATH. Only
// the methods those programs call are provided. YAML blocks are written as
// JSON, which is valid YAML.
package tap

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// T is a TAP stream; Todo returns a view whose results carry # TODO.
type T struct {
	next   *int
	todo   bool
	Writer io.Writer
}

// New starts a stream on standard output, numbering tests from 1.
func New() *T {
	n := 1
	return &T{next: &n, Writer: os.Stdout}
}

func (t *T) printf(format string, a ...interface{}) {
	fmt.Fprintf(t.Writer, format, a...)
}

// Header writes the version line and, when testCount > 0, the plan.
func (t *T) Header(testCount int) {
	t.printf("TAP version 13\n")
	if testCount > 0 {
		t.printf("1..%d\n", testCount)
	}
}

// Ok writes one test point.
func (t *T) Ok(test bool, description string) {
	ok := "ok"
	if !test {
		ok = "not ok"
	}
	if t.todo {
		t.printf("%s %d # TODO %s\n", ok, *t.next, description)
	} else {
		t.printf("%s %d - %s\n", ok, *t.next, description)
	}
	*t.next++
}

// Fail writes a failing test point.
func (t *T) Fail(description string) { t.Ok(false, description) }

// Pass writes a passing test point.
func (t *T) Pass(description string) { t.Ok(true, description) }

// Skip writes count skipped test points.
func (t *T) Skip(count int, description string) {
	for i := 0; i < count; i++ {
		t.printf("ok %d # SKIP %s\n", *t.next, description)
		*t.next++
	}
}

// Todo returns a view of the stream whose test points are marked TODO.
func (t *T) Todo() *T {
	n := *t
	n.todo = true
	return &n
}

// Count is the number of test points written so far.
func (t *T) Count() int { return *t.next - 1 }

// AutoPlan writes the plan for the test points written so far.
func (t *T) AutoPlan() { t.printf("1..%d\n", t.Count()) }

func escapeNewlines(s string) string {
	return strings.Replace(strings.TrimRight(s, "\n"), "\n", "\n# ", -1)
}

// Diagnostic writes a comment, which may span lines.
func (t *T) Diagnostic(message string) {
	t.printf("# %s\n", escapeNewlines(message))
}

// Diagnosticf writes a formatted comment.
func (t *T) Diagnosticf(format string, a ...interface{}) {
	t.Diagnostic(fmt.Sprintf(format, a...))
}

// YAML writes a YAML block (as JSON) attached to the last test point.
func (t *T) YAML(message interface{}) error {
	b, err := json.MarshalIndent(message, "  ", "  ")
	if err != nil {
		return err
	}
	t.printf("  ---\n  %s\n  ...\n", b)
	return nil
}
