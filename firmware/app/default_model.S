/* default_model.S: embeds the model blob FX_MODEL_FILE (models/default.fxm) as the built-in model. */
    .section .rodata.fx_default_model, "a"
    .balign 4
    .global fx_default_model
    .global fx_default_model_end
fx_default_model:
    .incbin FX_MODEL_FILE
fx_default_model_end:
    .balign 4
#ifdef __linux__
    /* Host builds (fuzzing): this object needs no executable stack. */
    .section .note.GNU-stack, "", %progbits
#endif
