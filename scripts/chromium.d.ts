/** Types of scripts/chromium.js (plain JS so that web-test-runner.config.js can import it). */
export declare const CHROMIUM_PATH: string;
export declare const CHROMIUM_ARGS: string[];
