package libvirt

import lv "libvirt.org/go/libvirt"

// Conn hands tests the backend's own connection: the test driver keeps
// state per connection, so a change meant to reach the backend's events
// must be made on it.
func Conn(b *Backend) (*lv.Connect, error) { return b.connection("test") }
