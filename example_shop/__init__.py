"""Corner Shop: a small demo store hosting the livechat app."""
