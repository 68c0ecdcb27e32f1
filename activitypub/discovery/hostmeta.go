package discovery

import (
	"bytes"
	"encoding/xml"
	"net/http"
)

// hostMeta answers /.well-known/host-meta: an XRD pointing at WebFinger,
// for the servers that still look there first.
func (h *Handler) hostMeta(w http.ResponseWriter, r *http.Request) error {
	var tmpl bytes.Buffer
	xml.EscapeText(&tmpl, []byte(h.o.URLs.Base+"/.well-known/webfinger?resource={uri}"))
	w.Header().Set("Content-Type", "application/xrd+xml; charset=utf-8")
	_, err := w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?>
<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">
  <Link rel="lrdd" template="` + tmpl.String() + `"/>
</XRD>
`))
	return err
}
