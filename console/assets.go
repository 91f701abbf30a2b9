package console

import "embed"

// assetFiles are the console's stylesheet, script, fonts and licences,
// served under /assets/.
//
//go:embed assets/*.css assets/*.js assets/vendor
var assetFiles embed.FS
