// Package scrape reads the service's Prometheus page for the benchmark
// commands under bench/.
package scrape

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
)

// Metrics reads base+"/metrics" into name{labels} -> value, summing the
// series of a labelled family under its bare name too, and keeping
// histogram buckets as name_bucket{le="x"}.
func Metrics(base string) (map[string]float64, error) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		key := line[:i]
		out[key] = v
		if j := strings.IndexByte(key, '{'); j > 0 && !strings.HasSuffix(key[:j], "_bucket") {
			out[key[:j]] += v
		}
	}
	return out, sc.Err()
}
