"""The page's look: Gradio's Soft theme in the app's colours, and the few rules it adds."""

import gradio as gr

THEME = gr.themes.Soft(primary_hue="indigo", secondary_hue="rose")
CSS = """
#header h1 { margin-bottom: 0; }
#status { min-height: 3.2em; padding: 0.4em 0.8em; border-radius: 8px;
          background: var(--block-background-fill); border: 1px solid var(--border-color-primary); }
#status progress { appearance: none; display: block; width: 100%; height: 0.5em; border: none;
                   border-radius: 4px; overflow: hidden; background: var(--neutral-200); }
#status progress::-webkit-progress-bar { background: var(--neutral-200); }
#status progress::-webkit-progress-value { background: var(--primary-500); }
#status progress::-moz-progress-bar { background: var(--primary-500); }
#status progress:not([value])::-webkit-progress-bar {
  background: linear-gradient(90deg, var(--neutral-200) 35%, var(--primary-400) 50%,
                              var(--neutral-200) 65%) 0 0 / 300% 100%;
  animation: busy 1.5s linear infinite; }
@keyframes busy { from { background-position: 100% 0; } to { background-position: 0 0; } }
#status p { margin: 0.2em 0 0; overflow-wrap: anywhere; }
.caps-note { font-size: 0.85em; opacity: 0.8; }
#style-gallery .grid-wrap { min-height: 0; max-height: none; overflow: visible; }
#style-gallery .grid-container { grid-template-columns: repeat(4, minmax(0, 1fr)); }
#style-gallery .thumbnail-item { aspect-ratio: auto; display: flex; flex-direction: column;
                                 overflow: visible; }
#style-gallery .thumbnail-item > img { aspect-ratio: 1; height: auto; }
#style-gallery .caption-label { position: static; max-width: 100%; white-space: normal;
                                opacity: 1; border: none; background: none; padding: 0.2em 0;
                                font-size: 0.72em; line-height: 1.2; }
#examples table { table-layout: fixed; width: 100%; }
#examples th { white-space: normal; font-size: 0.8em; padding: 0.3em; }
#examples td { padding: 0.3em; }
#examples td .container { width: 100%; max-width: 5em; height: auto; aspect-ratio: 1;
                          margin: auto; }
#examples td .container img { width: 100%; height: 100%; object-fit: cover; }
.toast-wrap > :not(:last-child) { display: none; }
/* The painter's tools sit beside the photo, not over its left edge, where a stroke would
   start on a button instead of the picture. */
#painter .pixi-target { left: 44px !important; width: calc(100% - 44px) !important; }
#painter .toolbar-wrap { left: 4px !important; }
@media (max-width: 640px) {
  /* A phone reads one column: photo, styles, gallery, mode and Launch, result; then the
     examples. The inputs' column dissolves into the page's so the examples can move down. */
  #main { flex-direction: column; }
  #inputs { display: contents; }
  #modes { order: 1; }
  #examples-block { order: 2; }
  #style-row { flex-wrap: nowrap; }
  #style-row > * { min-width: 0; }
  #style-gallery .grid-wrap { overflow-x: auto; }
  #style-gallery .grid-container { grid-auto-flow: column; grid-template-columns: none;
                                   grid-auto-columns: 96px; }
}
"""
