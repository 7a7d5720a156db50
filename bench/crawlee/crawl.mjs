// SPDX-License-Identifier: MIT
// Crawlee's side of patrol's crawler benchmark (bench/run.sh): a CheerioCrawler that follows
// every link on the seed's host. Crawlee's defaults otherwise, plus what the benchmark fixes for
// all tools: 16 requests in flight, robots.txt obeyed, no per-host delay, bounded in time.
//
//   node bench/crawlee/crawl.mjs http://127.0.0.1:PORT/
// Environment: CRAWLEE_STORAGE_DIR (set by run.sh to its work directory), BENCH_CONCURRENCY
// (default 16, as Scrapy's), BENCH_MAX_REQUESTS (default 1000000), BENCH_TIMEOUT_S (default 600).
import { CheerioCrawler, log } from 'crawlee';

const seed = process.argv[2];
if (!seed) {
    console.error('usage: node crawl.mjs SEED_URL');
    process.exit(2);
}
const concurrency = Number(process.env.BENCH_CONCURRENCY || 16);
let pages = 0;

log.setLevel(log.LEVELS.INFO);
const crawler = new CheerioCrawler({
    // A fixed concurrency, as Scrapy's: Crawlee's autoscaling otherwise drops to 1 whenever the
    // machine's CPU is busy (nginx and the crawler itself share the 2 cores).
    minConcurrency: concurrency,
    maxConcurrency: concurrency,
    maxRequestsPerCrawl: Number(process.env.BENCH_MAX_REQUESTS || 1000000),
    requestHandlerTimeoutSecs: 60,
    respectRobotsTxtFile: true,
    async requestHandler({ enqueueLinks }) {
        pages += 1;
        await enqueueLinks({ strategy: 'same-hostname' });
    },
});
const timer = setTimeout(() => {
    log.warning(`bench: time bound reached after ${pages} pages, stopping`);
    crawler.autoscaledPool?.abort();
}, Number(process.env.BENCH_TIMEOUT_S || 600) * 1000);
timer.unref();
const stats = await crawler.run([seed]);
console.log(`bench: ${pages} pages handled, ${stats.requestsFinished} finished, ${stats.requestsFailed} failed`);
