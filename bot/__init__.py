"""A Discord FAQ bot that answers questions about one article, with sources."""
