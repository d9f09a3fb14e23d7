package libvirttest

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"time"
)

// Values from libvirt's remote_protocol.x and virnetprotocol.x.
const (
	remoteProgram  = 0x20008086
	remoteVersion  = 1
	procAuthList   = 66 // allowed before auth and open, takes no args
	msgTypeCall    = 0
	msgTypeReply   = 1
	rpcHeaderBytes = 4 + 6*4
)

// ping sends one RPC call and waits for any reply. A bare connect is not
// enough: libvirtd accepts on its socket before its drivers are ready and
// only serves clients afterwards.
func ping(sock string, timeout time.Duration) error {
	c, err := net.DialTimeout("unix", sock, timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	msg := make([]byte, rpcHeaderBytes)
	for i, v := range []uint32{rpcHeaderBytes, remoteProgram, remoteVersion, procAuthList, msgTypeCall, 1, 0} {
		binary.BigEndian.PutUint32(msg[4*i:], v)
	}
	if _, err := c.Write(msg); err != nil {
		return err
	}
	if _, err := io.ReadFull(c, msg); err != nil {
		return err
	}
	if prog, typ := binary.BigEndian.Uint32(msg[4:]), binary.BigEndian.Uint32(msg[16:]); prog != remoteProgram || typ != msgTypeReply {
		return fmt.Errorf("unexpected reply program %#x type %d", prog, typ)
	}
	return nil
}
