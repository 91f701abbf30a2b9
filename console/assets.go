package console

import "embed"

// assetFiles are the console's stylesheet, scripts, favicon, fonts and licences,
// served under /assets/.
//
//go:embed assets/*.css assets/*.js assets/*.svg assets/vendor
var assetFiles embed.FS
