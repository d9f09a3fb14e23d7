package usm

import (
	"encoding/hex"
	"testing"

	"github.com/gosnmp/gosnmp"
)

func TestProtocolNames(t *testing.T) {
	for _, s := range []string{"SHA-256", "sha256", "SHA_256", " Sha256 "} {
		if p, err := ParseAuth(s); err != nil || p != gosnmp.SHA256 {
			t.Errorf("ParseAuth(%q) = %v, %v", s, p, err)
		}
	}
	if p, err := ParsePriv("aes-256-c"); err != nil || p != gosnmp.AES256C {
		t.Errorf("ParsePriv: %v %v", p, err)
	}
	if _, err := ParseAuth("SHA-999"); err == nil {
		t.Error("unknown protocol accepted")
	}
	if p, _ := ParseAuth(""); p != gosnmp.NoAuth || MACLen(p) != 0 || MAC(p, nil, nil) != nil {
		t.Error("no authentication must mean no MAC")
	}
}

// TestMAC checks HMAC-SHA-256-192 against RFC 4231 test case 2 (key
// "Jefe"), truncated to 24 octets as RFC 7860 says.
func TestMAC(t *testing.T) {
	got := MAC(gosnmp.SHA256, []byte("Jefe"), []byte("what do ya want for nothing?"))
	want := "5bdcc146bf60754e6a042426089575c75a003f089d273983"
	if hex.EncodeToString(got) != want || MACLen(gosnmp.SHA256) != 24 {
		t.Fatalf("HMAC-SHA-256-192 = %x, want %s", got, want)
	}
}
