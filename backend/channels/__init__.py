"""Team channels: a unit's WeCom, DingTalk and Feishu group robots, and the queue of messages to them."""
