"""Submissions out: ODK Central's CSV zip and OData feed, streamed in constant memory."""
