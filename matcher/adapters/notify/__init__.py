"""Notifications to people: the notifier (outbox events → notification rows → messages) and
its channels, e-mail over SMTP and LINE push messages. The pure rules are in
:mod:`matcher.notifications`."""
