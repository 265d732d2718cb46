"""A Discord FAQ bot that answers questions about one article, with sources."""

import warnings

# discord.py imports `audioop` for voice, which the bot never uses; Python 3.11 warns that
# the module is deprecated on every import of discord. (Installing nothing, importing nothing.)
warnings.filterwarnings("ignore", message="'audioop' is deprecated", category=DeprecationWarning)
