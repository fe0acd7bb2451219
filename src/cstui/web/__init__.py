"""`cstui web`: the console in a browser, each tab's app a process of its own.

`server` runs on the serving side (one process per `cstui web`); `driver` runs inside each
tab's app process. Between them, Textual's web protocol over the app's stdin and stdout.
"""
