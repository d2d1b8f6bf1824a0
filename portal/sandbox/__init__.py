"""A local replica of the CDC certifiers' deposit portal (``accrochage sandbox``).

Modules, by responsibility:

- ``server``: builds a replica from ``settings.SandboxSettings`` and serves it with waitress;
- ``app`` (request hooks, error pages), ``views_auth``, ``views_pages``, ``admin`` (the
  test-only fault endpoint) and ``templates/`` (Jinja pages and the stylesheet);
- ``labels``: every visible text and the history status labels;
- ``auth`` (accounts, sessions, CSRF, lockout, one-time code), ``store`` and ``rows`` (the
  replica's own SQLite database), ``files`` (owner-only files);
- ``deposits`` (uploads) and ``receipts`` (the accusé de réception, the replica's own format);
- ``processing`` (background worker), ``control`` (XML/XSD control), ``fluxscan`` (streaming
  reads of a deposited flux), ``registry`` and ``certifications`` (the simulated nirisation's
  seeded data), ``rapport`` (the accusé de traitement in the documented shapes);
- ``faults``: injected failures, switchable at runtime.

The replica reads deposited files with its own small reader (``fluxscan``) rather than the
project's ``builders.cdc.fluxread``, so that the code under test and the stand-in for the CDC do
not share a parser.
"""
