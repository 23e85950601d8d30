"""The staff side: sign-in and accounts, conversation review, the NLU inbox, exports."""
