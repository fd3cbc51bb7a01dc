"""Everything the tests share that is not a fixture, in one place, one module per kind.

Import by the module's full name: `from tests.support.factories import add_supporter`.

- `services`: what a run needs around the app: the test database made and emptied, free
  ports, `skip_or_fail` for a missing service, cheap password hashing.
- `mail`: the test SMTP server's `MailBox`, the links in a message, the sender run.
- `data`: valid answers (the sign form, an affiliation, an event, a bulletin) for a test to
  change one thing in.
- `web`: the test app's settings, CSRF tokens, logging in, and posting the forms as a
  browser without JavaScript would (`sign`, `write_bulletin`, ...).
- `factories`: rows made directly or through the services (`add_supporter`, `add_group`,
  `add_event`, `make_organiser`, the counted `sign`/`confirm`/`approve`/...).
- `reads`: what the database holds, read back detached (`supporters`, `audit_rows`, ...).
- `browser`: the live server and Chromium's pieces (`LiveServer`, `serve`, `DESKTOP`,
  `PHONE`, `BrowserLog`, `shot`, `fill_sign_form`).

Inside the package `services`, `mail` and `data` import nothing from it; `factories` uses
`data`; `web` uses `data`, `factories` and `mail`; `browser` uses `factories`, `mail` and
`services` (so no import goes round in a circle). Fixtures stay in the conftest.py files
(tests/conftest.py for the whole suite, a folder's own for that folder), which import
what they need from here.
"""
