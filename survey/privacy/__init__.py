"""The home of anonymity: links, spending, drafts, the inbox, publication and log redaction.

docs/anonymity.md describes the design and the adversaries it holds against. Nothing outside
this package writes the anonymous tables (``spent_link``, ``response_draft``,
``response_inbox``, ``anonymous_response`` and its answers and comments).
"""
