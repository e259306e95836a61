/**
 * Composition root of the browser app: the one place that wires the parts together. The
 * room flow lives in <pd-app>; later parts (worker pool, scheduler, kernel cache) are created
 * here and handed to it.
 */
import './ui/app.ts';
