package oncall

import (
	"errors"
	"net"
	"net/url"
	"strings"
	"testing"
)

// TestSMSGatewayErrorHidesAPIKey: a gateway that cannot be reached is
// reported (log, audit trail, activation board) without the key its URL
// carries, and the error still says what happened.
func TestSMSGatewayErrorHidesAPIKey(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close() // nothing listens there now
	for _, tpl := range []string{
		"http://" + dead + "/send?to={to}&text={text}&apikey=smsHunter",
		"POST http://gw:smsHunter@" + dead + "/send?to={to}&text={text}&token=smsHunter",
	} {
		sms, err := NewHTTPSMS(tpl)
		if err != nil {
			t.Fatal(err)
		}
		err = sms.Send(bg, "+393401234567", "prova")
		var ue *url.Error
		if err == nil || !errors.As(err, &ue) || !strings.Contains(err.Error(), "refused") {
			t.Fatalf("send to nowhere: %v", err)
		}
		if strings.Contains(err.Error(), "smsHunter") {
			t.Errorf("error shows the gateway's key: %v", err)
		}
	}
	_, err = NewHTTPSMS("ftp://gw/send?to={to}&text={text}&apikey=smsHunter")
	if err == nil || strings.Contains(err.Error(), "smsHunter") {
		t.Errorf("bad template: %v", err)
	}
}
