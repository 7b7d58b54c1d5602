"""Themes: grouping short texts (friction notes, issue reports, retro answers) by meaning.

`service.py` holds pure functions and nothing else: `group_themes` (the biggest themes, each with a name
taken from its texts, a count, one or two quotes, the refs of its texts and whether it is new since a
given time), `similarity` and `find_same_problem` (which open issue a new report repeats, for "looks like
#3"). No database, no Slack, no clock reads.

This package imports only `bot.core` and third-party libraries (numpy, scipy, and wordllama, whose wheel
ships the 256-dimension static vectors used here, loaded from the installed package with downloads
disabled), never another feature; the model is loaded lazily, once per process, and numpy's BLAS then runs on
one thread. `group_themes` remembers its answer per input (a hash of the texts, their refs and which side of
`since` each is on; bounded, `clear_caches()` forgets), so a digest built again on unchanged data does not
group again, and any new or changed text is grouped afresh.
"""
