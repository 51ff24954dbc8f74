#!/bin/sh
# Registers Portcullis with Claude Code (stdio).
claude mcp add portcullis -- portcullis serve --plugins "$HOME/.portcullis/plugins"
