package clusterset

import clog "github.com/coredns/coredns/plugin/pkg/log"

// pluginName is the directive, the plugin name in logs and errors, and the
// metrics subsystem.
const pluginName = "clusterset"

// log is the plugin's logger; it holds no state of its own.
var log = clog.NewWithPlugin(pluginName)
