"""Web Push: the server's VAPID identity (`keys`), which endpoints may be pushed to (`endpoints`), and the one
wrapper around pywebpush that encrypts and delivers a message (`sender`)."""
