# SPDX-License-Identifier: MIT
"""Scrapy's side of patrol's crawler benchmark (bench/run.sh): a minimal spider that follows every
link of the seed's site. Scrapy's defaults otherwise, plus what the benchmark fixes for all tools:
16 concurrent requests, robots.txt obeyed, no delay, no extra middlewares or pipelines.

    scrapy runspider bench/scrapy_spider.py -a seed=http://127.0.0.1:PORT/
"""

from urllib.parse import urlsplit

import scrapy
from scrapy.linkextractors import LinkExtractor
from scrapy.spiders import CrawlSpider, Rule


class BenchSpider(CrawlSpider):
    name = "bench"
    custom_settings = {
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 16,  # the default 8 would cap a one-site crawl
        "ROBOTSTXT_OBEY": True,
        "DOWNLOAD_DELAY": 0,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "INFO",
        "USER_AGENT": "patrol-bench-scrapy (+http://127.0.0.1/)",
    }
    rules = (Rule(LinkExtractor(), callback="parse_page", follow=True),)

    def __init__(self, seed=None, *args, **kwargs):
        if not seed:
            raise ValueError("pass -a seed=URL")
        self.start_urls = [seed]
        self.allowed_domains = [urlsplit(seed).hostname]
        self.pages = 0
        super().__init__(*args, **kwargs)

    def parse_start_url(self, response):
        return self.parse_page(response)

    def parse_page(self, response):
        self.pages += 1
        return []

    def closed(self, reason):
        self.logger.info("bench: %d pages parsed (%s)", self.pages, reason)
