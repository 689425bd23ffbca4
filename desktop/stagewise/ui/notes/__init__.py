"""Clinical notes in the app: the chart's Notes tab, the note editor, search, the to-do view and recovery.

Modules: ``notes_tab`` (``NotesTab``: list, search box, New note, the open note), ``editor``
(``NoteEditor`` with autosave, signing, co-signing, addenda, history, discard; ``NoteWindow``),
``autosave`` (``DraftSaver``), ``note_view`` (a signed note read-only), ``search`` (``SearchPanel``,
``SearchWindow``), ``todo_view`` (``TodoView``), ``recovery`` (``offer_recovered_drafts``), ``prompts``
(the addendum and history dialogs), ``common``.

Integration (the chart and main window own the windows; every editor saves before the database closes):

* ChartWindow: replace the Notes placeholder with ``NotesTab(ctx, client_id)`` (kept as ``self.notes``).
* MainWindow: ``lock_manager.locking.connect(chart.notes.save_now)`` per chart (closing the chart saves
  too); ``SearchWindow(ctx, opener=...)`` and ``TodoView(ctx, opener=...)`` from menu actions, closed
  in ``_clear_client_data``; ``offer_recovered_drafts(ctx, window, opener)`` after sign-in.
  ``opener(client_id, note_id)`` opens the chart, shows its Notes tab and calls ``notes.open_note``.
"""
