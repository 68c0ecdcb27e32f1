package markdown

// ShortcodeTag is one shortcode tag found by ScanShortcodes, for tools that read a
// document's shortcodes without rendering it (cohort import hugo).
type ShortcodeTag struct {
	Call    *ShortcodeCall
	Offset  int  // byte offset of the tag's "{{" in the scanned text
	Len     int  // length of the tag in bytes
	Closing bool // {{< /name >}}
}

// ScanShortcodes lists the shortcode tags in src, in order, as the renderer would
// read each one (malformed tags are left out: the build reports them).
func ScanShortcodes(src []byte) []ShortcodeTag {
	var tags []ShortcodeTag
	for i := 0; i+2 < len(src); i++ {
		if !isTagStart(src[i:]) {
			continue
		}
		c, n, err := parseTag(src[i:])
		if err != nil {
			continue
		}
		tags = append(tags, ShortcodeTag{Call: c, Offset: i, Len: n, Closing: c.closing})
		i += n - 1
	}
	return tags
}

// IsBuiltinShortcode tells whether cohort renders the Hugo shortcode name itself.
func IsBuiltinShortcode(name string) bool { return builtinShortcodes[name] }
