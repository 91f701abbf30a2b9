package acd

import (
	"testing"
	"time"
)

func TestQueueLogLines(t *testing.T) {
	at := time.Unix(1366720340, 0)
	tests := []struct {
		r    Record
		want string
	}{
		{Record{Time: at, Event: LogEnterQueue, Call: "c1", Queue: "main", CallerID: "0862"}, "1366720340|c1|main|NONE|ENTERQUEUE||0862"},
		{Record{Time: at, Event: LogConnect, Call: "c1", Queue: "main", Agent: "a1", Wait: 7 * time.Second, Ring: 3 * time.Second, Duration: 3 * time.Second},
			"1366720340|c1|main|a1|CONNECT|10|c1|3"},
		{Record{Time: at, Event: LogCompleteCaller, Call: "c1", Queue: "main", Agent: "a1", Wait: 10 * time.Second, Talk: 50 * time.Second, Hold: 10 * time.Second, OrigPosition: 2},
			"1366720340|c1|main|a1|COMPLETECALLER|10|60|2"},
		{Record{Time: at, Event: LogAbandon, Call: "c1", Queue: "main", Position: 1, OrigPosition: 3, Wait: 42 * time.Second},
			"1366720340|c1|main|NONE|ABANDON|1|3|42"},
		{Record{Time: at, Event: LogRingNoAnswer, Call: "c1", Queue: "main", Agent: "a1", Duration: 15 * time.Second},
			"1366720340|c1|main|a1|RINGNOANSWER|15000"},
		{Record{Time: at, Event: LogPause, Agent: "a1", Reason: ReasonNoAnswer}, "1366720340|NONE|NONE|a1|PAUSE|no answer"},
	}
	for _, tt := range tests {
		if got := tt.r.QueueLog(); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.r.Event, got, tt.want)
		}
	}
}
