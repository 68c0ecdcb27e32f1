package inbox

// The follow limits (followlimit.go), for the tests of package inbox_test.
const (
	NewFollowersPerHostPerHour = newFollowersPerHostPerHour
	MaxFollowersPerHost        = maxFollowersPerHost
	MaxPendingPerHost          = maxPendingPerHost
)
