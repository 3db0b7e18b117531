"""Optional integrations of livechat with other Django apps (``contrib.oscar``)."""
